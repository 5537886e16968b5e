"""The staff dashboard under /dashboard/: pages over every app's services and selectors."""
