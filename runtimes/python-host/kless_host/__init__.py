"""The kless Python function host: a Bottle app on waitress that calls ``main(event, context)``."""
