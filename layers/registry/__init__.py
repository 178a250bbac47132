"""The street-chief registry (定人、定点、定段、定时、定责): people, units, owner roles, assignments with history,
roster import, ownership coverage, the duty list (责任清单) and locate (what is at a point, and who owns it). Its
`schemas` module holds the API's answers about them."""
