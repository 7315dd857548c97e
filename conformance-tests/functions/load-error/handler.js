// Fails while the module loads: every call must get 500 while /healthz stays 200.
throw new Error('conformance: this module cannot load')
