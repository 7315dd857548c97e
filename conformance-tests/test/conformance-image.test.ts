import t from 'tap'
import { conformanceSuite } from './suite'

// The same table inside every runtime image, started by its own CMD under containerd and runc with a Function
// pod's restrictions (read-only root, tmpfs /tmp, uid 1000, no capabilities).
t.test('conformance table in the runtime images', (t) => conformanceSuite(t, 'image'))
