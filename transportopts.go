package raven

// WithHTTPTransportOptions configures the HTTP transport New builds for
// the DSN (gzip, proxy, CA certificates, timeouts, retries). It has no
// effect with WithTransport.
func WithHTTPTransportOptions(opts ...TransportOption) Option {
	return optionFunc(func(c *config) { c.httpOpts = append(c.httpOpts, opts...) })
}
