# Week 2: run silently in every student kernel before the notebook (no name is left behind).
#
# Grading-tuned d2l: framework overhead that cannot change a graded value goes away. No grade
# reads the kernel's state (probes run in their own process), so these only change how fast
# the notebook's cells run; notebook_runs still sees every error a cell raises.
# - DataLoader workers off (DataModule's default num_workers 4 → 0): the offline stand-in is
#   two small files, and four worker processes forked per epoch cost more than the batches;
#   batches and their order are the same (the sampler runs in the main process either way).
# - The training board keeps every point but draws once, at the end of Trainer.fit, instead
#   of re-rendering its figure at every logged point: the final figure is the same.


def __kubig_tune():
    import importlib

    try:
        d2l = importlib.import_module("d2l.torch")
    except Exception:  # no d2l: nothing to tune
        return
    init = d2l.DataModule.__init__
    if init.__defaults__ == ("../data", 4):
        init.__defaults__ = ("../data", 0)

    draw, fit = d2l.ProgressBoard.draw, d2l.Trainer.fit

    def deferred_draw(self, x, y, label, every_n=1):
        if not getattr(self, "_kubig_defer", False):
            return draw(self, x, y, label, every_n)
        shown, self.display = self.display, False
        try:
            return draw(self, x, y, label, every_n)
        finally:
            self.display = shown

    def render_once(board):
        """d2l's own drawing, once, for the points recorded so far (nothing added)."""
        data = getattr(board, "data", None)
        if not data or not board.display:
            return
        label = next(reversed(data))
        line, raw = data[label], board.raw_points[label]
        if not line:
            return
        saved, last = list(raw), line[-1]
        raw.clear()
        draw(board, last.x, last.y, label, every_n=1)  # re-adds the last point, then draws
        line.pop()
        raw[:] = saved

    def fit_drawing_once(self, model, data):
        board = getattr(model, "board", None)
        if board is None:
            return fit(self, model, data)
        board._kubig_defer = True
        try:
            return fit(self, model, data)
        finally:
            board._kubig_defer = False
            render_once(board)

    d2l.ProgressBoard.draw = deferred_draw
    d2l.Trainer.fit = fit_drawing_once


__kubig_tune()
del __kubig_tune
