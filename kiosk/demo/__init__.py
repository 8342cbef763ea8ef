"""The demo: what `kiosk demo` and `kiosk demo-month` load, kept out of the product.

- `floor`: the demo services and counters;
- `accounts`: the demo's bank branches, its accounts with their published passwords (which
  production refuses to start with) and its collecting account that no bank holds;
- `synthetic`: a realistic synthetic month of dossiers, tickets, payments and ratings, for the
  reports (`kiosk demo-month`, the report tests, `bench/reports.py`).

Only the command line (and the app factory's production check, and tests and benchmarks)
imports it: an import contract keeps the domain and the surfaces from doing so.
"""
