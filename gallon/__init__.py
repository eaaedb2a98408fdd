"""gallon: GALLON (LLM + GNN → MLP distillation for molecules) as a Ray batch system.

`import gallon` stays light: heavy stacks (Ray, vLLM, transformers) load inside the stages and
workers that use them.
"""

__version__ = "0.1.0"
