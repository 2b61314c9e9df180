// Grant Kafka ACLs through the Admin API of the kafka-clients jar we already run the broker
// from (aiokafka has no ACL API). Run as a single-file program, no build step:
//   java -cp '<libs>/*' deploy/kafka/Acls.java BOOTSTRAP USER OPERATION:RESOURCE_TYPE:NAME...
// e.g. ... 127.0.0.1:19092 kinerja-notify READ:TOPIC:approval.requested.v1 READ:GROUP:kinerja-notify
// Used by `scripts/kafka.sh acl` for the production auth profile tests; Strimzi's KafkaUser
// resources (deploy/k8s/base/kafka/users.yaml) do the same in a cluster.
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class Acls {
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: Acls BOOTSTRAP USER OPERATION:RESOURCE_TYPE:NAME...");
            System.exit(2);
        }
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        List<AclBinding> bindings = new ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            String[] spec = args[i].split(":", 3);
            bindings.add(new AclBinding(
                new ResourcePattern(ResourceType.valueOf(spec[1]), spec[2], PatternType.LITERAL),
                new AccessControlEntry("User:" + args[1], "*", AclOperation.valueOf(spec[0]), AclPermissionType.ALLOW)));
        }
        try (Admin admin = Admin.create(props)) {
            admin.createAcls(bindings).all().get();
        }
        System.out.println("granted " + bindings.size() + " ACLs to User:" + args[1]);
    }
}
