"""The ``themeloop`` command line: a thin layer over the library.

Each ``cmd_*.py`` module here registers its commands on the root app through a
``register(app)`` function; :mod:`themeloop.cli.app` discovers them, so a
command exists exactly when its module does.
"""
