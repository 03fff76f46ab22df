"""The week-2 pack: linear and softmax regression from scratch, and TensorFlow Playground.

Modules: `checks` (the graded checks), `probes` (run in the probe sandbox, loaded by path),
`playground` (the Playground vocabulary, screenshot reader, simulator and page renderer),
`datasets`, `variants`, `demo`, `kernel_startup` (run in every kernel, read as text).
"""
