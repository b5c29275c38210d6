"""Montu Desktop: the reception application a medical clinic runs on its front-desk PCs."""

__version__ = "0.1.0"
APP_NAME = "Montu Desktop"
