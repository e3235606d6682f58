package dev.cohort.security.internal;

import dev.cohort.persistence.KryoRegistrations;
import dev.cohort.security.Access;
import dev.cohort.security.Grant;
import dev.cohort.security.ResourceType;
import dev.cohort.security.Role;
import dev.cohort.security.UserInfo;
import java.util.List;

/**
 * The security module's serializable classes, ids 6000–6999. Ids are part of the journal format:
 * never reuse or renumber one; add new classes with new ids. Blocks: 6000 public API, 6100 state,
 * 6200 registry commands, 6300 replies, 6400 events.
 */
public final class SecurityRegistrations implements KryoRegistrations {
  @Override
  public void register(Registry r) {
    r.add(6000, Access.class);
    r.add(6001, ResourceType.class);
    r.add(6002, Grant.class);
    r.add(6003, Role.class);
    r.add(6004, UserInfo.class);

    r.add(6100, SecurityState.class);
    r.add(6101, SecurityState.StoredUser.class);
    r.add(6102, SecurityState.StoredToken.class);

    r.add(6200, SecurityRegistry.GetState.class);
    r.add(6201, SecurityRegistry.SetEnabled.class);
    r.add(6202, SecurityRegistry.AddUser.class);
    r.add(6203, SecurityRegistry.DeleteUser.class);
    r.add(6204, SecurityRegistry.ChangePassword.class);
    r.add(6205, SecurityRegistry.GrantRole.class);
    r.add(6206, SecurityRegistry.RevokeRole.class);
    r.add(6207, SecurityRegistry.AddRole.class);
    r.add(6208, SecurityRegistry.DeleteRole.class);
    r.add(6209, SecurityRegistry.GrantPermission.class);
    r.add(6210, SecurityRegistry.RevokePermission.class);
    r.add(6211, SecurityRegistry.IssueToken.class);
    r.add(6212, SecurityRegistry.RevokeToken.class);
    r.add(6213, SecurityRegistry.RevokeTokens.class);

    r.add(6300, SecurityRegistry.Current.class);
    r.add(6301, SecurityRegistry.Rejected.class);

    r.add(6400, SecurityRegistry.AuthSwitched.class);
    r.add(6401, SecurityRegistry.UserAdded.class);
    r.add(6402, SecurityRegistry.UserDeleted.class);
    r.add(6403, SecurityRegistry.PasswordChanged.class);
    r.add(6404, SecurityRegistry.UserRoleGranted.class);
    r.add(6405, SecurityRegistry.UserRoleRevoked.class);
    r.add(6406, SecurityRegistry.RoleAdded.class);
    r.add(6407, SecurityRegistry.RoleDeleted.class);
    r.add(6408, SecurityRegistry.PermissionGranted.class);
    r.add(6409, SecurityRegistry.PermissionRevoked.class);
    r.add(6410, SecurityRegistry.TokenIssued.class);
    r.add(6411, SecurityRegistry.TokenRevoked.class);
    r.add(6412, SecurityRegistry.UserTokensRevoked.class);
  }

  @Override
  public List<Object> samples() {
    return List.of(
        new Grant(ResourceType.KV, "default", "app/", Access.READ),
        new Role("reader", List.of(new Grant(ResourceType.TOPIC, "orders-*", "", Access.WRITE))));
  }
}
