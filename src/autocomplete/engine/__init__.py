"""Engine: the ``Autocomplete`` facade that composes every layer below it, and the
``Suggestion`` it returns. Feedback sits below it; the web app, the CLI and the offline tools
sit above it.
"""

from autocomplete.engine.facade import Autocomplete
from autocomplete.engine.suggestion import Suggestion

__all__ = ["Autocomplete", "Suggestion"]
