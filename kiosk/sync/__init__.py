"""The province's sync over NATS JetStream (not domain: the network parts only).

- `names.py`: a site's JetStream domain from its code, the subjects, streams and consumers;
- `servers.py`: the nats-server binary, the hub's and a site's configuration and what each
  server holds (streams, the durable consumer the hub sources a site through), and the sites'
  credentials at the hub;
- `relay.py`: at a site, the outbox's unsent events published in order to the site's server;
- `ingest.py`: at the hub, every site's events written once into the province's database;
- `client.py`: what the relay and the ingest share (the client, the loop, the process).

The outbox itself (`kiosk.domain.outbox`) is domain and imports none of this. Without
`KIOSK_NATS_URL` nothing here runs.
"""
