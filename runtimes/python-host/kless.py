"""Entry point of the Python runtime image: ``python /kless/kless.py`` (the function lives in /kubeless)."""
from kless_host.server import main

if __name__ == "__main__":
    main()
