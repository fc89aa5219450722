"""Area events received by the hub, dispatched by kind through one table."""
