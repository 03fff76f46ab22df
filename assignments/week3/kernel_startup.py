# Week 3: run silently in every student kernel before the notebook (no name is left behind).
#
# - The template loads MNIST with root='./data'; the offline stand-in is mounted read-only at
#   ../data (the week-2 layout), so ./data becomes a link to it when the notebook has none.
# - Grading-tuned training budget: a top-level `iters_num = <number>` (the template's training
#   cell) is capped at 60 iterations per optimizer. No grade reads the training run: the
#   layers, optimizers and the network's gradients are probed on hidden inputs in their own
#   process, and the loss-curve check only looks for a plot of three curves, which a shorter
#   run still draws. notebook_runs still sees every error a cell raises.
# - Figures display as PNG, as in Jupyter and Colab: the runtime imports matplotlib.pyplot
#   before the IPython shell exists (the preload), so the inline backend never registered its
#   display formatters and `plt.show()` left only "<Figure size …>" text. `%matplotlib inline`
#   registers them (the loss-curve check reads the plot this run draws).


def __kubig_week3():
    import ast
    import os

    if not os.path.lexists("data") and os.path.isdir("../data"):
        try:
            os.symlink("../data", "data")
        except OSError:
            pass

    cap = 60

    class CapIterations(ast.NodeTransformer):
        def visit_Module(self, node):  # noqa: N802 - only the cell's top-level statements
            for stmt in node.body:
                if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                        and isinstance(stmt.targets[0], ast.Name) and stmt.targets[0].id == "iters_num"
                        and isinstance(stmt.value, ast.Constant) and type(stmt.value.value) in (int, float)
                        and stmt.value.value > cap):
                    stmt.value = ast.copy_location(ast.Constant(cap), stmt.value)
            return node

    shell = get_ipython()  # noqa: F821 - defined in every IPython kernel
    if shell is not None:
        shell.ast_transformers.append(CapIterations())
        try:
            shell.run_line_magic("matplotlib", "inline")
        except Exception:  # no matplotlib: the notebook will say so itself
            pass


__kubig_week3()
del __kubig_week3
