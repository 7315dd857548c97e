# Fails while the module loads: the Python host refuses to start (exit 1), as Kyma's python38 did.
raise RuntimeError("conformance: this module cannot load")
