"""The supporter portal's gift pages (/account/gifts/...): history, monthly gifts, the card that pays them."""
