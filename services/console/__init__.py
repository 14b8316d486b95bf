"""The console: server-rendered pages for the people who carry the cases (issue 17).

It owns no data and no events. Every page reads and writes through the services' public HTTP
APIs with the signed-in user's own bearer token (the APIs decide what that user may do and see),
and it subscribes to the case topics only to tell open pages that something changed.
"""
