# Loads, but defines no `main`: the Python host refuses to start (exit 1).


def not_main(event, context):
    return "unreachable"
