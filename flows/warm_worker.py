"""Imported once by the worker pool's fork server (flows/workers.py): every worker forked
from it starts with the transforms imported and warmed up."""

from transforms.pipeline import warm_up

warm_up()
