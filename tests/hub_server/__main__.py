"""Run the local hub server: ``python -m tests.hub_server --port 0 --data-dir D --log-file L``.

Also works as ``python tests/hub_server`` (the folder) from anywhere.
"""

if __package__:
    from .server import main
else:  # run as a folder or file path: the folder itself is on sys.path
    from server import main


main()
