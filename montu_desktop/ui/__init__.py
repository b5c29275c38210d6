"""The reception window and its dialogs (the only package, with app.py, that imports Qt)."""
