"""Correlations: how well each proxy ranks architectures, per dataset/task (from `nasdb eval`)."""
from __future__ import annotations

import streamlit as st

from app import ui

st.title("Correlations")
if not ui.require("correlations", "Rank correlations", "nasdb eval"):
    st.stop()
