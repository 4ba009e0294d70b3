"""The claims: property tests of THEORY.md, theory vs ODE vs simulation."""
