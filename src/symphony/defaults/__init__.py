"""The configuration shipped inside the package: the default and demo policies and the
default windows file, copies of the repository's `config/` (a test keeps them identical).
An installed `symphony` falls back to these when `config/…` is absent from the working
directory (`symphony.settings.config_files`)."""
