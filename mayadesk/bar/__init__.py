"""The bar: menu, order and bill rules, and the LLM tools over a session's order."""
