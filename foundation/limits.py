"""Every limit on what a user may send, one named constant each.

The API schema, the validators, the web forms and the assistant's notices all read them from
here, so a limit is changed in one place and said the same way everywhere.
"""

from __future__ import annotations

# The most units one achievement row may count. Far above any real company's yearly output,
# and low enough that every amount stays an exact integer a JSON (JavaScript) client can hold.
MAX_COUNT = 10_000

# Achievement rows per call (POST /api/estimate, `subsidy estimate`): summed over a portfolio's
# requests. One row's Estimate is ~14 KB of JSON, so a call answers with at most ~15 MB.
MAX_ITEMS_PER_CALL = 1_000

# Achievements the assistant computes from one chat message; more are asked for separately.
MAX_CHAT_ACHIEVEMENTS = 10

# A chat message (default of SUBSIDY_MAX_MESSAGE_CHARS; the assistant reads this much of it).
MAX_MESSAGE_CHARS = 4_000

# A search query (CLI, API, the policies page).
MAX_QUERY_CHARS = 2_000

# Of a query, the search embeds at most this many model tokens and scores at most this many
# distinct BM25 terms: the work per query is bounded whatever its length.
MAX_EMBEDDED_QUERY_TOKENS = 64
MAX_QUERY_TERMS = 64

# JSON bodies and files nested deeper than this are refused (a request is 4 levels deep).
MAX_JSON_DEPTH = 32

# Rows of the estimate form.
MAX_FORM_ROWS = 30

# Of a user's value or field name, an error message quotes at most this many characters.
MAX_SHOWN_CHARS = 80
