package httpmodel

import "github.com/tagflow/tagflow/pkg/retry"

// SetClock makes c retry with clk instead of the real clock.
func SetClock(c *Client, clk retry.Clock) { c.clock = clk }
