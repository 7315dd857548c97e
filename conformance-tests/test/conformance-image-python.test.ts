import t from 'tap'
import { conformanceSuite } from './suite'

// The table inside every Python runtime image, started by its own CMD under containerd and runc with a
// Function pod's restrictions (read-only root, tmpfs /tmp, uid 1000, no capabilities). One file per language, so the
// two run side by side.
t.test('conformance table in the python runtime images', (t) => conformanceSuite(t, 'image', 'python'))
