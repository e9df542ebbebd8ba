"""The ground floor every layer may import, and which imports none of them: the error kinds
(errors), ISO dates (dates), the limits on what users send (limits) and how amounts are written
(money). knowledge/, calculators/, assistant/, eval/ and the faces in subsidy/ all stand on it."""
