package dev.peerid.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code peerid --version}: the project version (filtered in at build time) and the JDK running it. */
final class PeeridVersion implements IVersionProvider {
  @Override
  public String[] getVersion() throws IOException {
    Properties p = new Properties();
    try (InputStream in = PeeridVersion.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    }
    return new String[] {
        "peerid " + p.getProperty("version", "unknown"),
        "JDK " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ", "
            + System.getProperty("java.vm.name") + ") on " + System.getProperty("os.name") + " "
            + System.getProperty("os.arch")};
  }
}
