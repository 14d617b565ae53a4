"""What each method is called and where it comes from, for pages and published files.

``METHODS[name]`` gives the Chinese and English names (GLOSSARY.md terms), the kind
(``"subjective"``, ``"objective"``, ``"group"``, ``"combination"``), the section of the
seed standard that lists it and the primary source.  A published weight set can name
its method as ``METHODS[result.method]`` plus ``result.variant``.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["METHODS", "NOT_IMPLEMENTED"]

_M = {
    "g1": ("序关系分析法（G1法）", "order relation analysis (G1)", "subjective",
           "郭亚军 (2002) 综合评价理论与方法"),
    "ratio_scoring": ("环比评分法", "ratio scoring (DARE)", "subjective", "Klee (1971) Management Science 18(2)"),
    "binomial": ("二项系数法", "binomial coefficient method", "subjective", "邱东 (1991) 多指标综合评价方法的系统分析"),
    "least_squares": ("最小平方法", "least squares method", "subjective",
                      "Chu, Kalaba & Spingarn (1979) JOTA 27(4)"),
    "bwm": ("最优最劣法（BWM）", "Best-Worst Method", "subjective",
            "Rezaei (2015) Omega 53; Rezaei (2016) Omega 64; Liang, Brunelli & Rezaei (2020) Omega 96"),
    "from_ratings": ("专家打分均值归一化（德尔菲法）", "normalised mean importance (Delphi)", "subjective",
                     "Delphi practice"),
    "entropy": ("熵权法（熵值法）", "entropy weight method", "objective", "Shannon (1948); Zeleny (1982)"),
    "coefficient_of_variation": ("变异系数法", "coefficient of variation method", "objective", "郭亚军 (2007)"),
    "mean_square_deviation": ("均方差法", "mean square deviation method", "objective", "王明涛 (1999) 系统工程 17(2)"),
    "critic": ("CRITIC 法", "CRITIC", "objective", "Diakoulaki, Mavrotas & Papayannakis (1995) C&OR 22(7)"),
    "scatter_degree": ("拉开档次法", "scatter degree method", "objective", "郭亚军 (2002) 管理科学学报 5(2)"),
    "max_deviation": ("最大离差法", "maximum deviation method", "objective", "王应明 (1998) 系统工程与电子技术 20(7)"),
    "pca": ("主成分分析法", "principal component analysis", "objective", "OECD & JRC (2008) Handbook, 6.1"),
    "aggregate": ("几何平均集结", "weighted geometric mean of experts' weights", "group",
                  "Forman & Peniwati (1998) EJOR 108(1)"),
    "combine": ("主客观综合集成赋权", "combination weighting", "combination",
                "李刚, 李建平, 孙晓蕾, 赵萌 (2017) 管理评论 29(12)"),
}

#: name -> read-only mapping with ``zh``, ``en``, ``kind``, ``source``.
METHODS = MappingProxyType({
    k: MappingProxyType({"zh": zh, "en": en, "kind": kind, "source": src})
    for k, (zh, en, kind, src) in _M.items()
})

#: Seed 5.2.6 methods not implemented, with the reason (see docs/weighting.md).
NOT_IMPLEMENTED = MappingProxyType({
    "最大熵技术法": "maximum entropy technique: the constraint set is not fixed by the name in the literature",
    "多目标规划法": "multi-objective programming: a family of models; its well-defined member is max_deviation",
    "简单关联函数法": "simple correlation (dependent) function: needs grade intervals the seed does not define",
    "模糊分析法": "fuzzy analysis: a family; fuzzy AHP belongs with ahp/ (Buckley), FCE with evaluation/",
})
