"""Every write and business rule of the registrations app, one module per concern."""
