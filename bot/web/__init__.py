"""Web layer: FastAPI app with the JSON API, the embeddable widget and the Gradio UI."""
