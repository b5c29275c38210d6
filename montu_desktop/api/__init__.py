"""The HTTP API (`montu-desktop serve`): online booking for the clinic's website or a kiosk."""
