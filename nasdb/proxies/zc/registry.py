"""The zero-cost proxies nasdb computes on real networks: what each needs and which settings move it.

A small declarative table, read by the scoring family (which settings go into a run), the CLI
(``--proxy`` choices), the docs and the tests. Every proxy is stored so that larger = better
architecture (``direction = "max"``), the convention of NAS-Bench-Suite-Zero and of nasdb's
evaluation; where a paper's raw quantity points the other way the sign is flipped in the definition
(grasp, jacov), as the reference code does.

``settings`` names the run settings a value depends on: ``seed`` (weight init, and zen's own Gaussian
inputs), ``data`` and ``batch_size`` (the batch). Values also depend on the network (bench, dataset)
and on the implementation version, which every run records.
"""
from __future__ import annotations

from dataclasses import dataclass

IMPLEMENTATION = "zc-2"  # bump when a definition changes values; recorded in every run's settings
# zc-2: TNB101 encoders initialised as the official MacroNet (He-normal fan_out convs), as Suite-Zero's


@dataclass(frozen=True)
class Proxy:
    name: str
    needs_data: bool         # does the value depend on the images/labels of the batch?
    settings: tuple[str, ...]  # run settings that change its value
    definition: str          # paper + what exactly is computed (shown by docs/CLI)
    direction: str = "max"   # larger value = predicted better architecture


_DATA = ("data", "batch_size", "seed")

PROXIES: dict[str, Proxy] = {p.name: p for p in (
    Proxy("params", False, (),
          "trainable parameters of the network, in millions (every requires_grad tensor)"),
    Proxy("flops", False, (),
          "operations of one image's forward, in millions, counted from each layer's shape and output size "
          "with the rules of the torchstat counter Suite-Zero used: Conv2d/Linear multiply-accumulates (+1 per "
          "output with a bias), BatchNorm 1 per element (2 if affine), ReLU 1, pooling k*k per output element"),
    Proxy("n_trainable_layers", False, (),
          "number of Conv2d and Linear layers (a trivial depth baseline)"),
    Proxy("l2_norm", False, ("seed",),
          "sum over Conv2d/Linear layers of the L2 norm of the initial weights (Abdelfattah et al., ICLR 2021 "
          "/ NAS-Bench-Suite-Zero)"),
    Proxy("synflow", False, ("seed",),
          "SynFlow (Tanaka et al., NeurIPS 2020): sum |w * dR/dw| over Conv2d/Linear weights, R = sum of the "
          "output of the network with |weights|, BatchNorm bypassed, float64, on one all-ones input; stored as "
          "the natural log (as NAS-Bench-Suite-Zero does; -log(-s) if negative, 0 if 0)"),
    Proxy("zen", False, ("seed", "batch_size"),
          "Zen-score (Lin et al., ICCV 2021): log E|f(x) - f(x + 0.01 e)| of the features before global "
          "pooling, weights re-drawn N(0,1), x, e ~ N(0,1), plus sum over BatchNorm layers of "
          "log sqrt(mean running variance after the two forwards, momentum 0.1), as the Zen-NAS code"),
    Proxy("grad_norm", True, _DATA,
          "sum over Conv2d/Linear layers of the L2 norm of the loss gradient (Abdelfattah et al., ICLR 2021)"),
    Proxy("snip", True, _DATA,
          "SNIP (Lee et al., ICLR 2019): sum |w * dL/dw| over Conv2d/Linear weights"),
    Proxy("plain", True, _DATA,
          "sum of w * dL/dw over Conv2d/Linear weights (Abdelfattah et al., ICLR 2021)"),
    Proxy("grasp", True, _DATA,
          "GraSP (Wang et al., ICLR 2020): sum of -w * (H g) over Conv2d/Linear weights, g the loss "
          "gradient, H the Hessian"),
    Proxy("fisher", True, _DATA,
          "Fisher channel saliency (Theis et al., 2018): per output channel 0.5 * mean over the batch of "
          "(sum over positions of activation * its gradient)^2, summed over every weight of the channel "
          "as the zero-cost-nas code does"),
    Proxy("jacov", True, _DATA,
          "Jacobian covariance (Mellor et al., NASWOT v1): -sum(log(v + 1e-5) + 1/(v + 1e-5)) over the "
          "eigenvalues v of the correlation matrix of the per-sample input gradients of the summed output"),
    Proxy("epe_nas", True, _DATA,
          "EPE-NAS (Lopes et al., ICANN 2021): per-class correlation of the input Jacobians, "
          "sum_c |sum log(|corr| + 1e-5)| (classes > 100: mean pairwise difference, per-class normalised)"),
    Proxy("nwot", True, _DATA,
          "NASWOT (Mellor et al., ICML 2021): log|det K|, K[i,j] = number of ReLU units on which samples "
          "i and j agree (both active or both inactive)"),
    Proxy("zico", True, _DATA,
          "ZiCo (Li et al., ICLR 2023): sum over Conv2d/Linear layers of log sum over weights of "
          "mean|g| / std(g), g the loss gradients of the two halves of the batch"),
    Proxy("meco", True, ("data", "seed"),
          "MeCo (Jiang et al., NeurIPS 2023): sum over modules producing a feature map of the minimum "
          "eigenvalue of the channel correlation matrix of the first sample's feature map"),
    Proxy("swap", True, _DATA,
          "SWAP (Peng et al., ICLR 2024): number of distinct sample-wise activation patterns (the sign "
          "vector of a ReLU unit over the batch), over every ReLU unit fed by a feature map"),
)}

NAMES = tuple(PROXIES)
ANALYTIC = ("params", "flops", "n_trainable_layers")  # no forward pass on data: computed for every arch at build


def check(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Requested proxy names in table order; an unknown name is a NasdbError naming the choices."""
    from nasdb.errors import NasdbError

    unknown = [n for n in names if n not in PROXIES]
    if unknown:
        raise NasdbError(f"unknown zero-cost proxy {unknown[0]!r}; expected one of {', '.join(NAMES)}")
    return tuple(n for n in NAMES if n in set(names))
