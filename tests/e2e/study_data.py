"""What the people of the whole-study browser test type (tests/e2e/test_whole_study.py): the
panel list, every expert's Delphi ratings in both rounds and their AHP judgments."""
from __future__ import annotations

CODES = ["A", "B", "C", "D", "A1", "A2", "A3", "A4", "B1", "B2", "B3", "C1", "C2", "C3", "C4", "C5", "D1", "D2", "D3", "D4"]
ROUND1 = {  # importance on the 1-5 scale, in CODES order
    "E01": [5, 4, 5, 4, 5, 4, 4, 3, 4, 3, 4, 5, 4, 4, 5, 3, 5, 4, 3, 2],
    "E02": [4, 4, 5, 4, 5, 5, 4, 3, 4, 4, 3, 5, 4, 3, 4, 3, 4, 4, 3, 2],
    "E03": [5, 3, 4, 5, 4, 4, 5, 2, 5, 3, 4, 4, 5, 4, 5, 4, 5, 5, 4, 1],
    "E04": [4, 4, 5, 3, 5, 4, 3, 3, 4, 2, 4, 5, 4, 4, 4, 3, 4, 4, 2, 2],
    "E05": [5, 3, 4, 4, 4, 5, 4, 4, 3, 3, 3, 4, 3, 4, 5, 2, 5, 3, 3, 3],
}
REVISED = {  # round 2: what each expert changes after seeing the group's result
    "E01": {"B2": 4, "C5": 4}, "E02": {"B3": 4, "B": 3}, "E03": {"A4": 3, "D3": 3},
    "E04": {"B2": 3, "D3": 3}, "E05": {"D2": 4, "A4": 3},
}
DROPPED = "D4"
# AHP judgments, upper triangle row by row ((0,1), (0,2), (0,3), (1,2), (1,3), (2,3)): each is
# Saaty's nearest value to a ratio w_i / w_j of a weight vector the expert has in mind, so
# every block is consistent (CR < 0.02 by ahp.consistency).
AHP = {
    "SQ": {"E01": [2, 1, 4, -2, 2, 3], "E02": [2, 1, 3, -2, 2, 4], "E03": [2, 2, 5, -2, 2, 3],
           "E04": [4, 1, 2, -3, -2, 2], "E05": [2, 1, 3, -2, 2, 3]},
    "A": {"E01": [2, 2, 3, 1, 2, 2], "E02": [2, 4, 4, 2, 2, 1], "E03": [1, 2, 3, 2, 3, 2],
          "E04": [-2, 1, 2, 2, 3, 2], "E05": [2, 2, 4, 1, 2, 2]},
}
EXPERT_LIST = "\n".join([  # pasted as from a spreadsheet
    "Wang Fang\twang.fang@example.cn\tTesting institute A",
    "Li Wei, li.wei@example.cn, University B",  # one line typed by hand
    "张伟\tzhang.wei@example.cn\t市场监管局",
    "Chen Jing\tchen.jing@example.cn\tPlatform C",
    "Liu Yang\tliu.yang@example.cn\tEnterprise D",
])
