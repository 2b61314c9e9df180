// SCRAM-SHA-512 users and their ACLs on a running broker, through the Admin API of its kafka-clients
// jar (aiokafka has none), in one JVM: java -cp '<libs>/*' ScramUser.java BOOTSTRAP
//   USER PASSWORD OPERATION:RESOURCE_TYPE:NAME... [-- USER PASSWORD ...]
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class ScramUser {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        List<UserScramCredentialAlteration> users = new ArrayList<>();
        List<AclBinding> bindings = new ArrayList<>();
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        int i = 0;
        while (i < rest.size()) {
            String user = rest.get(i), password = rest.get(i + 1);
            users.add(new UserScramCredentialUpsertion(user, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password));
            for (i += 2; i < rest.size() && !rest.get(i).equals("--"); i++) {
                String[] spec = rest.get(i).split(":", 3);
                bindings.add(new AclBinding(
                    new ResourcePattern(ResourceType.valueOf(spec[1]), spec[2], PatternType.LITERAL),
                    new AccessControlEntry("User:" + user, "*", AclOperation.valueOf(spec[0]), AclPermissionType.ALLOW)));
            }
            i++;
        }
        try (Admin admin = Admin.create(props)) {
            admin.alterUserScramCredentials(users).all().get();
            admin.createAcls(bindings).all().get();
        }
        System.out.println(users.size() + " SCRAM users, " + bindings.size() + " ACLs");
    }
}
