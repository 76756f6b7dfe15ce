package pace

// SetOnBlock makes a call f each time one of its Waits is about to block:
// queued for the gate (queued true) or holding it and sleeping. Set it
// before the first Wait.
func SetOnBlock(a *Adaptive, f func(queued bool)) { a.onBlock = f }
