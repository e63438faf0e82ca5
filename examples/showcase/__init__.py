"""The showcase: one app that uses most of the toolkit (see ``app.py``).

Run it with ``uv run uvicorn examples.showcase.app:app`` and open http://127.0.0.1:8000/.
"""
