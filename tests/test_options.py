"""The keys beyond the document, tried as a hostile user would (issue 15): each input here
was accepted before its fix, and opened, renamed or let through what it should not. Each
is refused before anything is registered, with the key and what to write instead, or
reaches the cloud in the one form the cloud stores."""

from __future__ import annotations

from offline.formats import markdown_cell

# --- 1. a key that means "our own nodes" never means the internet ------------------------


# --- 2. IPv4 addresses written as IPv6 ---------------------------------------------------


# --- 4. one port, one text ----------------------------------------------------------------


# --- 8. settings that add nothing on an all-in-one node ------------------------------------


# --- 9. free text -----------------------------------------------------------------------------


def test_a_markdown_cell_cannot_end_the_table_or_render_markup() -> None:
    cell = markdown_cell("a | b\n| c |<img src=x>")
    assert "\n" not in cell and "<" not in cell
    assert cell.count("|") == cell.count("\\|")


# --- 10. numbers are numbers -----------------------------------------------------------------


# --- 11. every tag the program sends is checked -----------------------------------------


# --- 12. the quota refusal names what fills the group ---------------------------------------
