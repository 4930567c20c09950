"""A small progress bar for the long steps, written to standard error."""

from __future__ import annotations

import math
import shutil
import time

#: Least time between two redraws of a bar on a terminal, in seconds.
_REDRAW_INTERVAL = 0.1
_WIDTH = 24


def _clock(seconds):
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class ProgressBar:
    """A text progress bar: ``fit [######------] 3/10 epochs 0:04<0:09 loss 0.6931``.

    On a terminal the bar is redrawn in place (at most every 0.1 s); on any
    other stream (a log file, a pipe) each whole step is one line, so that a
    log stays readable. A disabled bar writes nothing.

    Parameters
    ----------
    total : int
        Number of steps.
    label : str
        What is running (``"fit"``, ``"evaluate"``, ``"predict"``).
    unit : str
        What a step is, in the plural (``"epochs"``, ``"chunks"``).
    stream : file object
        Where to write (standard error).
    enabled : bool, default=True
        Whether to write anything.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO()
    >>> with ProgressBar(2, "fit", "epochs", out) as bar:
    ...     bar.advance(note="loss 0.7")
    ...     bar.advance(note="loss 0.5")
    >>> print(out.getvalue().splitlines()[-1].split("  ")[0])
    fit [########################] 2/2 epochs
    """

    def __init__(self, total, label, unit, stream, enabled=True):
        self.total = max(int(total), 1)
        self.label = label
        self.unit = unit
        self.stream = stream
        self.enabled = enabled
        self.count = 0.0
        self._start = time.monotonic()
        self._last_draw = -math.inf
        self._last_line = 0
        self._last_done = 0
        self._interactive = enabled and _isatty(stream)
        self._note = ""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def advance(self, steps=1, note=None):
        """Count ``steps`` more whole steps and show them.

        Parameters
        ----------
        steps : float, default=1
        note : str, default=None
            Shown after the bar (e.g. the loss); None keeps the last note.
        """
        self.update(self.count + steps, note)

    def update(self, count, note=None, partial=False):
        """Set the number of steps done.

        Parameters
        ----------
        count : float
            Steps done; a fraction shows progress inside a step.
        note : str, default=None
            Shown after the bar; None keeps the last note.
        partial : bool, default=False
            A progress inside a step: drawn only on a terminal, and at most
            every 0.1 s.
        """
        self.count = min(max(float(count), 0.0), float(self.total))
        if note is not None:
            self._note = note
        if not self.enabled:
            return
        now = time.monotonic()
        if partial and (not self._interactive or now - self._last_draw < _REDRAW_INTERVAL):
            return
        done = int(self.count + 1e-9)
        if not self._interactive and done == self._last_done:
            return  # a log gets one line per whole step
        self._last_done = done
        self._last_draw = now
        self._draw(now)

    def close(self):
        """End the bar's line on a terminal (so that what follows starts on a new line)."""
        if self.enabled and self._interactive and self._last_line:
            self.stream.write("\n")
            self.stream.flush()
            self._last_line = 0

    def _draw(self, now):
        elapsed = now - self._start
        done = int(self.count + 1e-9)
        filled = int(_WIDTH * self.count / self.total)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        timing = _clock(elapsed)
        if 0 < self.count < self.total:
            timing += f"<{_clock(elapsed * (self.total - self.count) / self.count)}"
        line = f"{self.label} [{bar}] {done}/{self.total} {self.unit}  {timing}"
        if self._note:
            line += f"  {self._note}"
        if self._interactive:
            columns = shutil.get_terminal_size((80, 24)).columns
            line = line[: max(columns - 1, 20)]
            self.stream.write("\r" + line.ljust(self._last_line))
            self._last_line = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def _isatty(stream):
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
