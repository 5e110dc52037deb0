"""The provider's batch API (OpenAI ``/v1/files`` + ``/v1/batches``): half the price,
answers within a day. ``jobs`` submits, follows and collects; ``replay`` runs the online
path against the collected answers, so requests and results are the online path's own.
"""
