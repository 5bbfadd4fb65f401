package raven

// BaseSenders exposes baseSenders to the external tests.
const BaseSenders = baseSenders
