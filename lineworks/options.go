package lineworks

// applyOptions applies opts to the settings c in order, skipping nil ones,
// and returns the first error. It is the one place the option shape described
// in the package documentation is enforced, for every option type.
func applyOptions[C any, O ~func(*C) error](c *C, opts []O) error {
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(c); err != nil {
			return err
		}
	}
	return nil
}
