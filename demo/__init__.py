"""Demo data, in a room above every app it fills: drawn in plan.py, written only through the
apps' own services (services.py), by the load_demo_data command; demo_links prints where to start."""
