"""platformctl: the operator CLI of cloud-platform (`python -m platformctl --help`)."""
