"""MayaDesk: a desktop voice assistant whose persona is Maya, a bartender."""

__version__ = "0.1.0"

APP_NAME = "mayadesk"
APP_DISPLAY_NAME = "MayaDesk"
APP_ID = "io.github.mayadesk.MayaDesk"
