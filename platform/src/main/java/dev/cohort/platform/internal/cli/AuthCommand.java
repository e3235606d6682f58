package dev.cohort.platform.internal.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code cohort auth …}: users, roles and their permissions, the auth switch, and tokens, through
 * the gateway's {@code /v1/auth} routes. A new user's password comes from {@code --new-password},
 * {@code COHORT_NEW_PASSWORD} or a prompt; it is never echoed.
 */
@Command(
    name = "auth",
    mixinStandardHelpOptions = true,
    description = "Users, roles, permissions and tokens.",
    subcommands = {
      AuthCommand.User.class,
      AuthCommand.RoleCommand.class,
      AuthCommand.Enable.class,
      AuthCommand.Disable.class,
      AuthCommand.Status.class,
      AuthCommand.Token.class
    })
public final class AuthCommand {

  @Command(
      name = "user",
      mixinStandardHelpOptions = true,
      description = "Add, list and delete users; give and take roles.",
      subcommands = {
        User.Add.class,
        User.ListUsers.class,
        User.Delete.class,
        User.GrantRole.class,
        User.RevokeRole.class
      })
  static final class User {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add a user.")
    static final class Add extends ClientCommand implements Runnable {
      @Parameters(index = "0", description = "the user's name")
      String name;

      @Option(
          names = "--roles",
          split = ",",
          description = "roles to give the user, comma-separated (root: everything)")
      List<String> roles = new ArrayList<>();

      @Option(
          names = "--new-password",
          defaultValue = "${COHORT_NEW_PASSWORD:-}",
          description = "the new user's password (default: $COHORT_NEW_PASSWORD, else a prompt)")
      String newPassword;

      @Override
      public void run() {
        String secret =
            newPassword.isEmpty()
                ? Credentials.prompt("Password for new user " + name + ": ")
                : newPassword;
        ObjectNode body = JSON.createObjectNode().put("password", secret);
        roles.forEach(body.putArray("roles")::add);
        show(put("/v1/auth/users/" + encode(name), body), OutputFormat.SIMPLE);
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List users.")
    static final class ListUsers extends ClientCommand implements Runnable {
      @Override
      public void run() {
        get("/v1/auth/users")
            .path("users")
            .forEach(
                u ->
                    Output.out()
                        .println(u.path("name").asText() + "\t" + String.join(",", roles(u))));
      }

      private static List<String> roles(com.fasterxml.jackson.databind.JsonNode user) {
        List<String> names = new ArrayList<>();
        user.path("roles").forEach(r -> names.add(r.asText()));
        return names;
      }
    }

    @Command(
        name = "delete",
        mixinStandardHelpOptions = true,
        description = "Delete a user and its tokens.")
    static final class Delete extends ClientCommand implements Runnable {
      @Parameters(index = "0", description = "the user's name")
      String name;

      @Override
      public void run() {
        show(delete("/v1/auth/users/" + encode(name)), OutputFormat.SIMPLE);
      }
    }

    @Command(name = "grant-role", mixinStandardHelpOptions = true, description = "Give a role.")
    static final class GrantRole extends ClientCommand implements Runnable {
      @Parameters(index = "0", description = "the user's name")
      String name;

      @Parameters(index = "1", description = "the role")
      String role;

      @Override
      public void run() {
        show(
            post(
                "/v1/auth/users/" + encode(name) + "/roles",
                JSON.createObjectNode().put("role", role)),
            OutputFormat.SIMPLE);
      }
    }

    @Command(name = "revoke-role", mixinStandardHelpOptions = true, description = "Take a role.")
    static final class RevokeRole extends ClientCommand implements Runnable {
      @Parameters(index = "0", description = "the user's name")
      String name;

      @Parameters(index = "1", description = "the role")
      String role;

      @Override
      public void run() {
        show(
            delete("/v1/auth/users/" + encode(name) + "/roles/" + encode(role)),
            OutputFormat.SIMPLE);
      }
    }
  }

  @Command(
      name = "role",
      mixinStandardHelpOptions = true,
      description = "Add, list and delete roles; grant and revoke permissions.",
      subcommands = {
        RoleCommand.Add.class,
        RoleCommand.ListRoles.class,
        RoleCommand.Delete.class,
        RoleCommand.Grant.class,
        RoleCommand.Revoke.class
      })
  static final class RoleCommand {

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an empty role.")
    static final class Add extends ClientCommand implements Runnable {
      @Parameters(index = "0", description = "the role's name")
      String name;

      @Override
      public void run() {
        show(put("/v1/auth/roles/" + encode(name), null), OutputFormat.SIMPLE);
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Roles and grants.")
    static final class ListRoles extends ClientCommand implements Runnable {
      @Override
      public void run() {
        show(get("/v1/auth/roles"), OutputFormat.TABLE);
      }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a role.")
    static final class Delete extends ClientCommand implements Runnable {
      @Parameters(index = "0", description = "the role's name")
      String name;

      @Override
      public void run() {
        show(delete("/v1/auth/roles/" + encode(name)), OutputFormat.SIMPLE);
      }
    }

    /** The permission named by a grant or revoke command's arguments. */
    abstract static class PermissionArgs extends ClientCommand {
      @Parameters(index = "0", description = "the role")
      String role;

      @Parameters(
          index = "1",
          description = "resource type: kv, topic, group, saga, training or cluster")
      String resource;

      @Parameters(
          index = "2",
          defaultValue = "*",
          description =
              "keyspace, topic, group, saga definition or job; a trailing * matches a prefix, "
                  + "* alone every name (default: *)")
      String name;

      @Option(names = "--prefix", defaultValue = "", description = "kv only: the key prefix")
      String prefix;

      @Option(
          names = "--access",
          required = true,
          description = "read, write or admin (each covers the ones before)")
      String access;

      ObjectNode permission() {
        return JSON.createObjectNode()
            .put("resource", resource)
            .put("name", name)
            .put("keyPrefix", prefix)
            .put("access", access);
      }
    }

    @Command(
        name = "grant",
        mixinStandardHelpOptions = true,
        description = "Grant a role a permission.")
    static final class Grant extends PermissionArgs implements Runnable {
      @Override
      public void run() {
        show(post("/v1/auth/roles/" + encode(role) + "/grant", permission()), OutputFormat.SIMPLE);
      }
    }

    @Command(
        name = "revoke",
        mixinStandardHelpOptions = true,
        description = "Revoke a permission from a role.")
    static final class Revoke extends PermissionArgs implements Runnable {
      @Override
      public void run() {
        show(post("/v1/auth/roles/" + encode(role) + "/revoke", permission()), OutputFormat.SIMPLE);
      }
    }
  }

  @Command(
      name = "enable",
      mixinStandardHelpOptions = true,
      description = "Require authentication (needs a user with the root role).")
  static final class Enable extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(post("/v1/auth/enable", null), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "disable",
      mixinStandardHelpOptions = true,
      description = "Stop requiring authentication.")
  static final class Disable extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(post("/v1/auth/disable", null), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Whether auth is enabled.")
  static final class Status extends ClientCommand implements Runnable {
    @Override
    public void run() {
      show(get("/v1/auth/status"), OutputFormat.SIMPLE);
    }
  }

  @Command(
      name = "token",
      mixinStandardHelpOptions = true,
      description =
          "Print a token for --user (password from --password, $COHORT_PASSWORD or a prompt), "
              + "for COHORT_TOKEN=$(cohort auth token).")
  static final class Token extends ClientCommand implements Runnable {
    @Option(
        names = "--ttl-seconds",
        defaultValue = "3600",
        description = "the token's lifetime in seconds (default: ${DEFAULT-VALUE})")
    long ttlSeconds;

    @Override
    public void run() {
      Output.out().println(exchangeToken(ttlSeconds).path("token").asText());
    }
  }
}
