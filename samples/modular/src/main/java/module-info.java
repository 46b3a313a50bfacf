/** An application that names only what it uses; the Linux backend is found as a service. */
module dev.peerid.sample.modular {
  requires dev.peerid;
  requires dev.peerid.linux;
}
