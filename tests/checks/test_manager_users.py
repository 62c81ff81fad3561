"""AMI users written twice: manager.c makes one user of every section with its name (case-insensitively),
in reading order: what a later section sets wins, and its permit/deny replace the earlier ACL entirely."""
from voxaudit.model import Status

GENERAL = "[general]\nenabled=yes\nbindaddr=127.0.0.1\n"


def test_the_later_section_decides_the_secret_and_the_acl(tree, run):
    facts = tree({"manager.conf": GENERAL + "[admin]\nsecret=amp111\ndeny=0.0.0.0/0.0.0.0\npermit=10.0.0.5/255.255.255.255\n"
                                            "#include manager_custom.conf\n",
                  "manager_custom.conf": "[Admin]\nsecret=Str0ng-Unique-Secret-99x\n"})
    assert [o.name for o in facts.of_kind("manager.user")] == ["admin"]  # one user, as Asterisk keeps it
    assert run("AUTH-SECRET-101", facts)["manager user admin"] == Status.PASS  # the later secret
    assert run("ACC-ADMIN-103", facts)["manager user admin"] == Status.FAIL  # the later section has no ACL
    (note,) = [p for p in facts.configs["manager.conf"].problems if "also written" in p.message]
    assert note.note and note.file == "manager_custom.conf"


def test_an_earlier_strong_secret_does_not_hide_a_later_default(tree, run):
    facts = tree({"manager.conf": GENERAL + "#include manager_custom.conf\n[admin]\nsecret=amp111\n"
                                            "deny=0.0.0.0/0.0.0.0\npermit=10.0.0.5/255.255.255.255\n",
                  "manager_custom.conf": "[admin]\nsecret=Str0ng-Unique-Secret-99x\n"})
    assert run("AUTH-SECRET-101", facts)["manager user admin"] == Status.FAIL
    assert run("ACC-ADMIN-103", facts)["manager user admin"] == Status.PASS
